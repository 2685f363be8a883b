"""faceaudit: see which public photos of your own accounts show your face."""

__version__ = "0.1.0"
