from tests.processes import packages_loaded_by


def test_the_fork_server_preloads_no_network_stack() -> None:
    """The fork server loads these before it can start the first worker, while the
    daemon starts; aiohttp alone would make it about a second slower on a slow machine."""
    code = (
        "from privatefolio_daemon import worker_processes\n"
        "for module in (*worker_processes.WORKER_MODULES, 'privatefolio_daemon.cli'):\n"
        "    __import__(module)\n"
    )
    assert packages_loaded_by(code, ("aiohttp", "web3", "ccxt", "apscheduler")) == []
