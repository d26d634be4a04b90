"""``python -m influencers.cli``."""
from influencers.cli import main

main()
