namespace Carelake.Core.Generation;

/// <summary>A city with its state and the first three digits of its ZIP codes, so addresses look consistent.</summary>
internal sealed record City(string Name, string State, string ZipPrefix, string AreaCode);

/// <summary>
/// Name and address tables. Names are plain ASCII on purpose: output stays byte-identical regardless of the JSON
/// encoder's escaping policy, and search tests do not trip over accent folding.
/// </summary>
internal static class DemographicTables
{
    public static readonly IReadOnlyList<string> MaleGivenNames =
    [
        "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
        "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
        "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
        "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
        "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
        "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Zachary", "Douglas", "Peter", "Kyle",
        "Noah", "Ethan", "Jeremy", "Walter", "Christian", "Keith", "Roger", "Terry", "Austin", "Sean",
        "Gerald", "Carl", "Harold", "Dylan", "Arthur", "Lawrence", "Jordan", "Jesse", "Bryan", "Billy",
        "Bruce", "Gabriel", "Joe", "Logan", "Alan", "Juan", "Albert", "Willie", "Elijah", "Wayne",
        "Randy", "Vincent", "Mason", "Roy", "Ralph", "Bobby", "Russell", "Bradley", "Philip", "Eugene",
        "Liam", "Oliver", "Lucas", "Hiroshi", "Wei", "Mohammed", "Omar", "Ravi", "Mateo", "Santiago",
    ];

    public static readonly IReadOnlyList<string> FemaleGivenNames =
    [
        "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
        "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
        "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia",
        "Amy", "Kathleen", "Angela", "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha",
        "Katherine", "Christine", "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Catherine", "Heather",
        "Diane", "Olivia", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren", "Kelly", "Christina",
        "Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan", "Cheryl", "Jacqueline", "Martha", "Madison",
        "Teresa", "Gloria", "Sara", "Janice", "Ann", "Kathryn", "Abigail", "Sophia", "Frances", "Jean",
        "Alice", "Judy", "Isabella", "Julia", "Grace", "Amber", "Denise", "Danielle", "Marilyn", "Beverly",
        "Charlotte", "Natalie", "Theresa", "Diana", "Brittany", "Doris", "Kayla", "Alexis", "Lori", "Marie",
        "Ava", "Mia", "Chloe", "Yuki", "Mei", "Fatima", "Aisha", "Priya", "Valentina", "Lucia",
    ];

    public static readonly IReadOnlyList<string> FamilyNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
        "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
        "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
        "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
        "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
        "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
        "Okafor", "Tanaka", "Chen", "Wang", "Singh", "Kowalski", "Novak", "Schmidt", "Larsen", "OBrien",
    ];

    public static readonly IReadOnlyList<string> StreetNames =
    [
        "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Lakeview Rd", "Washington Ave",
        "Park Pl", "Hillcrest Dr", "Sunset Blvd", "River Rd", "Church St", "Highland Ave", "Meadow Ln",
        "Forest Dr", "Spring St", "Union St", "Harbor Way", "Mill Rd", "Orchard Ln", "Prospect Ave",
        "Willow Way", "Chestnut St", "Birch Ct", "Franklin St", "Jefferson Ave", "Lincoln Rd", "Madison St",
        "Shore Dr", "Valley View Rd", "Summit Ave",
    ];

    public static readonly IReadOnlyList<City> Cities =
    [
        new("Boston", "MA", "021", "617"),
        new("Worcester", "MA", "016", "508"),
        new("Springfield", "MA", "011", "413"),
        new("Cambridge", "MA", "021", "617"),
        new("Lowell", "MA", "018", "978"),
        new("Providence", "RI", "029", "401"),
        new("Hartford", "CT", "061", "860"),
        new("New Haven", "CT", "065", "203"),
        new("Manchester", "NH", "031", "603"),
        new("Portland", "ME", "041", "207"),
        new("Burlington", "VT", "054", "802"),
        new("Albany", "NY", "122", "518"),
    ];

    /// <summary>Adult marital status distribution (v3 MaritalStatus codes) before age adjustments.</summary>
    public static readonly IReadOnlyList<(Concept Status, double Weight)> AdultMaritalStatuses =
    [
        (new(CodeSystems.MaritalStatus, "M", "Married"), 0.50),
        (new(CodeSystems.MaritalStatus, "S", "Never Married"), 0.30),
        (new(CodeSystems.MaritalStatus, "D", "Divorced"), 0.12),
        (new(CodeSystems.MaritalStatus, "W", "Widowed"), 0.06),
        (new(CodeSystems.MaritalStatus, "U", "unmarried"), 0.02),
    ];

    public static readonly Concept NeverMarried = new(CodeSystems.MaritalStatus, "S", "Never Married");
    public static readonly Concept Widowed = new(CodeSystems.MaritalStatus, "W", "Widowed");
}
