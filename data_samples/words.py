"""Word lists of the sample world: company names, cities, banks, months (French B2B)."""

from __future__ import annotations

SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "Andre", "Lefevre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "Francois", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clement",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez",
    "Gerard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger",
    "Roche", "Roy", "Noel", "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour",
    "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin",
    "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc",
    "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Philippe", "Leclercq",
    "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert", "Louis",
    "Charles", "Guillot", "Riviere", "Le Gall", "Guillaume", "Adam", "Rey", "Moulin", "Gonzalez",
    "Berger", "Lecomte", "Menard", "Fleury", "Deschamps", "Carpentier", "Julien", "Benoit",
    "Paris", "Maillard", "Marchal", "Aubry", "Vasseur", "Le Roux", "Renault", "Jacquet",
    "Collet", "Prevost", "Poirier", "Charpentier", "Royer", "Huet", "Baron", "Dupuy", "Pons",
    "Paul", "Laine", "Carre", "Breton", "Remy", "Schneider", "Perrot", "Guyot", "Barre",
    "Marty", "Cousin", "Tessier", "Delmas", "Hoarau", "Besson", "Etienne", "Lebrun", "Texier",
)
ACTIVITIES = (
    "Logistique", "Transports", "Batiment", "Conseil", "Informatique", "Distribution",
    "Maintenance", "Menuiserie", "Electricite", "Plomberie", "Immobilier", "Imprimerie",
    "Emballages", "Industrie", "Mecanique", "Services", "Nettoyage", "Restauration",
    "Patrimoine", "Expertise", "Ingenierie", "Automatismes", "Telecom", "Securite",
    "Environnement", "Energie", "Agencement", "Peinture", "Charpente", "Metallerie",
    "Chauffage", "Climatisation", "Paysage", "Formation", "Recrutement", "Evenements",
    "Optique", "Pharma", "Cosmetiques", "Textile", "Vins", "Boulangerie", "Traiteur",
    "Froid", "Levage", "Toiture", "Assainissement", "Medical", "Audit", "Finance",
    "Courtage", "Architecture", "Design", "Communication", "Productions", "Studio",
    "Robotique", "Fonderie", "Plasturgie", "Carrosserie",
)
BRAND_HEADS = ("Nova", "Axi", "Veri", "Alti", "Sola", "Logi", "Tech", "Opti", "Medi", "Eco",
               "Hexa", "Kali", "Orba", "Proxi", "Sigma", "Terra", "Vita", "Zeni", "Lumi",
               "Cyber", "Data", "Flexi", "Galva", "Inno", "Mecha", "Numeri", "Omni", "Qualia")
BRAND_TAILS = ("tek", "lis", "gen", "com", "sys", "line", "nova", "tis", "via", "rama", "lia",
               "soft", "form", "plan", "flow", "mat", "nergie", "pro", "labs", "ware", "pole")
CITIES = ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux", "Rennes",
          "Nice", "Strasbourg", "Grenoble", "Dijon", "Angers", "Reims", "Brest", "Tours",
          "Rouen", "Metz", "Nancy", "Caen", "Orleans", "Amiens", "Limoges", "Pau", "Annecy",
          "Valence", "Poitiers", "Vannes", "Lorient", "Chambery", "Nimes", "Avignon",
          "Perpignan", "Besancon", "Mulhouse", "Troyes", "Niort", "Quimper", "Bayonne", "Cholet")
TEMPLATES = ("{s} {a}", "{s} {a}", "{s} {a}", "{b}", "{b} {a}", "{a} {s}", "Groupe {s}",
             "Ets {s}", "{s} & Fils", "{s} {a} {c}", "{a} du {c}", "Atelier {s}", "{b} {c}")
FRENCH_FORMS = ("SAS", "SAS", "SAS", "SARL", "SARL", "SA", "SASU", "EURL")
FOREIGN = (("DE", "GmbH"), ("GB", "Ltd"), ("NL", "BV"))
FR_BANKS = (("30004", "BNP Paribas"), ("30003", "Societe Generale"), ("30002", "LCL"),
            ("10278", "Credit Mutuel"), ("30066", "CIC"), ("20041", "La Banque Postale"),
            ("18206", "Credit Agricole"), ("17515", "Caisse d'Epargne"))
UNKNOWN_PAYERS = ("SCI LES TILLEULS", "M OU MME DURAND PIERRE", "ASSOCIATION SPORTIVE ST MALO",
                  "CABINET MEDICAL DES LILAS", "SARL LE PETIT ZINC", "MAIRIE DE VILLENEUVE",
                  "COMITE D ENTREPRISE AIRCO", "SYNDIC COPRO LES PINS", "EARL DU MOULIN",
                  "GAEC DES TROIS CHENES", "M. LECOQ JEAN-MARC", "CAMPING DE LA PLAGE")
OPP_PROJECTS = ("Projet migration", "Audit securite", "Formation utilisateurs", "Deploiement",
                "Integration ERP", "Atelier cadrage", "Developpement specifique",
                "Mission conseil", "Reprise de donnees", "Accompagnement")
MONTHS_FR = ("JANVIER", "FEVRIER", "MARS", "AVRIL", "MAI", "JUIN", "JUILLET", "AOUT",
             "SEPTEMBRE", "OCTOBRE", "NOVEMBRE", "DECEMBRE")

