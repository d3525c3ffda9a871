"""The numeric cost core: pure functions over plain values, no I/O."""
