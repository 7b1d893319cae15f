"""satchel's built-in packagers, each registered as a plugin like any third-party one."""
