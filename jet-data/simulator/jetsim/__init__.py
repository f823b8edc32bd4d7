"""jetsim: the project's LHC jet simulator (Pythia 8 + FastJet/fjcontrib), hls4ml .npy layout."""
__version__ = "0.1.0"
