"""Scale data set: real runs of the one-door process cloned to any number of cases."""
