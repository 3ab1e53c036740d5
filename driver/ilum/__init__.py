"""Names of the Ilum job platform that job code imports; Sparkdeck provides them."""
