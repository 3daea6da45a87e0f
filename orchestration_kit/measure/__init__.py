"""Measuring flows: evaluate on a data set, the trade-off table, the explorer, evaluation on Dask."""
