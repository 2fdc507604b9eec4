from facedesk.cli import main

raise SystemExit(main())
