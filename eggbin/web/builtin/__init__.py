"""eggbin's own load unit, laid out like an app: config/, app/middleware/, app/extend/."""
