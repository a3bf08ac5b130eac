"""Start the Neural Photo Editor, or run one of its commands (`python main.py -h`)."""

import sys

from npe_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
