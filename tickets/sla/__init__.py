"""SLA clocks: business-hours calendars (`calendar`), and the policies that give tickets and
waiting conversations their due times."""
