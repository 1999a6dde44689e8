"""Who is where: administrative divisions, agencies, and staff with their role and scope."""
