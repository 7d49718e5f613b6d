from campusdesk.cli import main

main()
