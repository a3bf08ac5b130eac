"""Neural Photo Editor: edit portraits by painting on a generative model's latent."""

__version__ = "0.1.0"
