"""The VAMOs modules as data (installed as ``vamos_content``); see README.md in this folder for the format."""
