from pytest_modelizer.cli import main

raise SystemExit(main())
