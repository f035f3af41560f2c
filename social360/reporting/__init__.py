"""Reports on what was published: the HTML report and the terminal summary."""
