from facedesk.app import main

raise SystemExit(main())
