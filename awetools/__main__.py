from awetools.cli.main import run

run()
