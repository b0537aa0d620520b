"""First-party vaesa plugins, registered through the ``vaesa`` entry-point group."""
