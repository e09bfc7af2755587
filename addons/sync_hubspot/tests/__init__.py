from . import test_fake
