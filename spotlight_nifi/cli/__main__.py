from spotlight_nifi.cli import main

main()
