# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    """Give the account of every connected backend its job channel."""
    for backend in env["lightspeed.backend"].search([("state", "=", "connected")]):
        backend._lightspeed_job_channel()


def uninstall_hook(env):
    """Drop the account channels created on demand: the module's own channel
    ``root.lightspeed`` is removed with its data, and its children would block that."""
    parent = env.ref("lightspeed_connector_queue.channel_lightspeed", raise_if_not_found=False)
    if parent:
        env["queue.job.channel"].search([("parent_id", "=", parent.id)]).unlink()
