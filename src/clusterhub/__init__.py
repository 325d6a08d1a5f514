"""ClusterHub: the innovation-cluster SME support hub."""
