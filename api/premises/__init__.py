"""The premises registry (门牌): one address, community, grid and point that fee accounts and gas users refer to."""
