"""Adapters that plug dlc-lifter into other tools (DeepLabCut-Live: :mod:`.dlclive`).

This layer sits above ``analysis`` and below the command line: an integration may use
lifting (:mod:`dlc_lifter.lift`) and analyses (:mod:`dlc_lifter.analysis`) together.
Each module imports its tool lazily, so importing it does not need the tool installed.
"""
