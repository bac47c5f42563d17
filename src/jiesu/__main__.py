from jiesu.client import main

main()
