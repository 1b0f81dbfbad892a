"""The ``vamos`` command line (installed as ``vamos_cli``): a thin layer over the core and the adapters."""
