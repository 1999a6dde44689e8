"""Cases: one application at the window, with its requested items."""
