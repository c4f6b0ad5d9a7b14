from crawler.cli import main

if __name__ == "__main__":  # not when an extraction worker imports the main module as __mp_main__
    main()
