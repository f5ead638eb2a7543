"""Views stay thin: pages read through workflow.selectors, actions call workflow.services."""
