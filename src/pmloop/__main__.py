from pmloop.cli.main import run

run()
