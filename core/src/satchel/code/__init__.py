"""Code artifacts: source files, notebooks and archives stored as versioned ``code`` artifacts,
verified and extracted into a read-only cache, imported in isolation, run as functions and
workflows, in the running environment or in an isolated one built for their requirements.

The modules, lowest first: ``sources`` (what a source becomes), ``requirements`` (parse, merge,
check), ``loader`` (import a code tree without mixing it with another), ``cache`` (a stored
artifact as a verified tree on disk), ``environments`` (virtual environments built with uv).
"""
