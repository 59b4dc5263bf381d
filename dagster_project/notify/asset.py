"""The outbox asset: after every publish, queue its messages; send only where the deployment
says so (``CSWH_NOTIFY_SEND=1``), so a demo or a test run never e-mails anyone."""

from __future__ import annotations

import dagster as dg

from dagster_project.config import Settings


def build_outbox_asset(upstream: dg.AssetKey) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["notify", "outbox"]),
        group_name="publish",
        deps=[upstream],
        kinds={"sqlite"},
        owners=["team:cs-ops"],
        description="The outbox in $CSWH_APP_DB: the automated e-mails of new open CTAs whose "
        "playbook channel is automated_email, the CSMs' daily digest and the managers' weekly "
        "KPI digest of the latest publish (never queued twice); sent through $CSWH_SMTP_URL "
        "only where CSWH_NOTIFY_SEND=1.",
    )
    # `context` unannotated: under `from __future__ import annotations` Dagster rejects the hint.
    def outbox(context) -> dg.MaterializeResult:
        from dagster_project.notify import notify, send_enabled

        result = notify(Settings.from_env(), do_send=send_enabled())
        context.log.info(result.summary())
        sent = result.sent
        return dg.MaterializeResult(
            metadata={
                "as_of": str(result.queued.as_of),
                **{f"queued_{k}": v for k, v in result.queued.queued.items()},
                "sent": sent.sent if sent else 0,
                "failed": sent.failed if sent else 0,
                "sending": "on" if sent else "off (CSWH_NOTIFY_SEND)",
            }
        )

    return outbox
