"""The Train tab: settings, Start/Stop, live curves and progress."""
