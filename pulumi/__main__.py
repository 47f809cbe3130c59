from bulwark_platform import main

main()
