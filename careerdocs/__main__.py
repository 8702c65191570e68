from careerdocs.cli import main

main()
