from reserve.cli.main import main

main()
