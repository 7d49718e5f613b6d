"""E-mail: the SMTP transport (``transport``), its ids (``ids``) and its texts (``templates``)."""
