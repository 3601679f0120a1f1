"""Automation rules (models: tickets/models/rules.py): which tickets a rule's conditions take
(`conditions`), what its actions do through the ticket services (`actions`), running the rules
of a domain event (`engine`, `handlers`), the beat sweep of time rules and held notices
(`sweep`), notices that wait for a team's working hours (`notices`) and the admin's dry run
(`dry_run`). `origin` is what the ticket services carry for a change a rule made."""
