"""The rule base: rules as data (load), compiled to predicates (compile), run on experta (engine)."""
