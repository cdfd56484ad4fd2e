from reelforge.cli.app import main

main()
