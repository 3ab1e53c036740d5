"""The driver agent's interpreters and answers (`sparkdeck_driver.py` serves them): Python,
Scala and SQL cells on one SparkSession, and the tables and MIME bundles they answer with."""
