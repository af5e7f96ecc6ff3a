"""The viz stage: three Bokeh explorers built from the store, and the static site that holds them."""
