"""Who is responsible: the 权责清单 (小类 × area → department) with the street as owner of last resort."""
