"""influencers: self-hostable influencer discovery and campaign management."""

__version__ = "0.1.0"
