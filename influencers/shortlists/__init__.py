"""Saved shortlists, and the overlap reports and optimisations over a workspace's stored audiences.

The domain around :mod:`influencers.overlap` (pure math): the shortlists' models and
service, and the loaders that read the audience data an overlap report or an
optimisation needs (:mod:`.loader`, and the stored sketches in :mod:`.sketches`).
"""
