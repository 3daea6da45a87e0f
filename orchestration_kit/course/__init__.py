"""What the lessons use around the kit: the data sets, the widgets, the doctor, the offline web pages."""
